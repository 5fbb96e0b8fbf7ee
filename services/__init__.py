"""The business: pure Python over SQLAlchemy sessions; no NiceGUI here."""
