"""`python -m examples.customer_service`: see `app.py` for the modes."""

from .app import main

raise SystemExit(main())
