"""The Claude edge: the client, the streaming call and what its failures mean."""
