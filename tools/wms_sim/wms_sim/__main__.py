from wms_sim.app import main

main()
