"""The main example (grows with the product): runs offline, or on a real model when configured."""

import rigging as rg

print(f"rigging {rg.__version__}")
