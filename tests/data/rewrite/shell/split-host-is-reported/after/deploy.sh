#!/bin/sh
REGISTRY=localhost:5555
docker push "localhost:5555""/shop:latest"
docker push "$REGISTRY/shop:latest"
