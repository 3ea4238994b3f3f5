#!/bin/bash
# The sample capture through import-pcap and tapdns-batch, checked against tshark's reading.
cd "$(dirname "$0")/../.."
exec tests/world/compare_batch.sh tests/data/sample.pcap sample
