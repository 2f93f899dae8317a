import sys

from tinyedge.cli import main

sys.exit(main())
