IMAGE = "registry.example.net/acme/shop
