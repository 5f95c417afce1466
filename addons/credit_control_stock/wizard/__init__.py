from . import credit_delivery_release
