"""The public portal: what the Government publishes, for anyone, without signing in."""
