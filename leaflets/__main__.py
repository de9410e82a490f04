from leaflets.cli.main import main

main()
