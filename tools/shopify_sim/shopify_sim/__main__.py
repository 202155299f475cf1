from shopify_sim.cli import main

main()
