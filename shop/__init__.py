"""The bottom of the house: settings and vocabulary that etl/, metrics/ and ui/ all import (it imports none)."""
