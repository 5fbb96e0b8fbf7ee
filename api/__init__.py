"""The JSON API of ../shared/API.md: thin routes on NiceGUI's FastAPI app that call the same services as the pages."""
