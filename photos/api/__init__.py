"""The REST API (/api/): DRF views over the same selectors and services as the pages."""
