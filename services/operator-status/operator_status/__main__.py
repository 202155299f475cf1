from operator_status.app import main

main()
