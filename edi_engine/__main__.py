from edi_engine.cli import main

main()
