# SPDX-License-Identifier: Apache-2.0
"""Error pages as a Glance behind webob sends them."""

GLANCE_400 = '''<html>
 <head>
  <title>400 Bad Request</title>
 </head>
 <body>
  <h1>400 Bad Request</h1>
  Signature verification failed: Unable to retrieve certificate with ID \
1b2c: Key manager error<br /><br />



 </body>
</html>'''
