"""``python -m callnext`` is the ``callnext`` command."""

import sys

from callnext.cli import main

sys.exit(main())
