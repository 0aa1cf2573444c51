from radiocli.cli import main

main()
