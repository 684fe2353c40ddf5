"""The Streamlit studio: pages in `views/`, reusable renderers in `widgets/`, thin over the `studio` package."""
