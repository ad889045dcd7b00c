"""The REST API under ``/api/v1``: one router module per service area (``market``; ``access`` and ``query``
where installed), each exposing ``router``."""
