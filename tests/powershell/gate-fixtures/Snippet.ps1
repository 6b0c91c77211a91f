<#
.SYNOPSIS
    A snippet that runs an installer and never looks at its exit code.
#>
[CmdletBinding()]
param([string] $BundlePath)
Set-StrictMode -Version Latest
& (Join-Path -Path $BundlePath -ChildPath 'Install-WslPortProxy.ps1')
