"""Code that runs on AWS Lambda, packaged from these files by the components that deploy it.

Each module here is shipped alone as a function's code: it imports only the standard library
and what the Lambda Python runtime provides (boto3), never ``slipway`` itself.
"""
