"""The JSON API of docs/API.md: thin routes that call the same services as the pages."""
