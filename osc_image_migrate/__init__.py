"""OpenStackClient plugin that migrates Glance images between clouds."""
