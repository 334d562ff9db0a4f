"""`python -m rulegrad ...` is the `rulegrad` command."""

import sys

from rulegrad.cli import main

sys.exit(main())
