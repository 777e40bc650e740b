from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell


@pytest.fixture
def shell(tracking_uri):
    """A real IPython shell with labtrack loaded the way a user does it."""
    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext labtrack")
    shell.run_cell("import labtrack as lt")
    yield shell
    shell.run_cell("while lt.active_run(): lt.end_run()")
    InteractiveShell.clear_instance()
