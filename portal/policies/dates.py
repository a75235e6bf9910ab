"""Calendar arithmetic the rules share.

The rules themselves live in ``intake.dates`` so that the pipeline's
predicted expiries and the portal's are the same dates.
"""
from intake.dates import add_months, predicted_expiry

__all__ = ["add_months", "predicted_expiry"]
