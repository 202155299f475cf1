"""The operators' command line (`shipbridge`)."""
