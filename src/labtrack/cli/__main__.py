import sys

from labtrack.cli import main

sys.exit(main())
