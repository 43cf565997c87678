"""Configuration of the board (placeholder, owned by dashboard/)."""
from pydantic import BaseModel


class DashboardConfig(BaseModel):
    """Board settings."""
