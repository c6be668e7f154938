"""The read side: indicators, release (suppression and protection), review, charts and exports.

The pages (through ui/) and the command line read through it; it stands on shop/ and never imports etl/."""
