"""``python -m emrlab.cli``: the ``emrlab`` command without its console script.

Taught in README.md (Commands).
"""

import sys

from emrlab.cli import main

sys.exit(main())
