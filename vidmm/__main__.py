from vidmm._cli.app import main

main()
