"""The read side: indicators, periods, suppression and charts, shared by pages, exports and the CLI."""
