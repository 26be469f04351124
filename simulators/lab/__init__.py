"""The lab around the reference service and the simulators: the ``genai-demo`` console script
(:mod:`simulators.lab.cli`), ``genai-demo up`` (:mod:`simulators.lab.up`) and the wiring between the service
and the simulators (:mod:`simulators.lab.wiring`). The service package never imports this one."""
