"""The console server (issue 14): the one process that holds the store URL and the master key;
terminals and channel back-ends are its clients over HTTPS. app.py builds the ASGI application,
serve.py runs it under uvicorn (`staff-console serve`)."""
