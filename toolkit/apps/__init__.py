"""The widget apps that the notebooks display: participant and coach."""
