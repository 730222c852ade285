"""``python -m cantata.migrate PATH... [--write]``."""

from cantata.migrate._cli import main

raise SystemExit(main())
