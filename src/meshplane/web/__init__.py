"""The web edge: FastAPI apps that are thin shells over the services.

``tech_adapter`` serves Meshplane's built-in tech adapters through the Witboost Tech Adapter interface, so a
Witboost provisioning coordinator (or another Meshplane, through ``RemoteAdapter``) can drive them.
Submodules are imported on demand: importing ``meshplane.web`` costs nothing.
"""
