"""Pure domain logic: no Django import anywhere in this package."""
