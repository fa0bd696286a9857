"""Uploaded media: presigned uploads, S3 event parsing and the evidence worker.

Object keys: originals under `uploads/<owner type>/<owner id>/<media id>`, derivatives
under `derivatives/…`. Only `uploads/` notifies the queue, so writing a derivative
never triggers processing again.
"""

UPLOAD_PREFIX = "uploads/"
DERIVATIVE_PREFIX = "derivatives/"
