"""The artifact tests use the S3 server of tests/conftest_s3.py."""

from ..conftest_s3 import bucket, s3_client, s3_endpoint  # noqa: F401
