# English: Django's own formats (Sept. 24, 2025; 39.51; 1,234) apply for everything not set here. Short
# dates stay day first (24/09/2025), as in the Vietnamese pages and the data files.
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
