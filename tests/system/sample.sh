#!/bin/bash
# The committed sample capture (real recursive traffic from tests/world) through the real
# tools, checked against tshark's reading of it.
cd "$(dirname "$0")/../.."
exec tests/world/compare.sh tests/data/sample.pcap sample
