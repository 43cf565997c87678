"""Configuration of the alert pipeline (placeholder, owned by alerts/)."""
from pydantic import BaseModel


class AlertsConfig(BaseModel):
    """Alert lifecycle, routing and notification settings."""
