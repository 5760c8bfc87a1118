from anitrakt.cli import main

main()
