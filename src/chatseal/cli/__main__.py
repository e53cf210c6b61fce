"""`python -m chatseal.cli`."""

from chatseal.cli.main import main

main()
