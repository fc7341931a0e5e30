from hlrcli.cli.app import main

main()
