"""The HTTP store: labtrack's client against a tracking server that speaks MLflow's REST API
(``labtrack server`` or ``mlflow server``), chosen by an ``http://`` or ``https://`` tracking URI.

``RestStore`` (``store.py``) offers the parts of the SQL store over ``/api/2.0/mlflow/...``;
``http.py`` sends the requests (credentials, retries, errors); ``convert.py`` reads MLflow's
JSON into labtrack's entities. Imports nothing heavy until a store is opened.
"""

from labtrack.store.rest.http import AccessDenied, ServerAway, display_uri, is_http_uri

__all__ = ["AccessDenied", "ServerAway", "display_uri", "is_http_uri"]
