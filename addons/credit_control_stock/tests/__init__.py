from . import test_delivery_block
