"""NiceGUI pages and components: read input, call a service, show the result."""
