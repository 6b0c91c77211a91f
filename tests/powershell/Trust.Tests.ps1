# The elevated task trusts only what administrators control (issue 19 §5; docs/security.md, "Inputs the
# task trusts"): the address WSL reports, the folders and programs it runs, the interop of the distribution.

BeforeAll {
    . (Join-Path $PSScriptRoot 'SimulatedWindows.ps1')
    $script:Bundle = New-TestBundle -Inventory @'
servers:
  - name: WEB-01
    run_as: CORP\svc-podman
    wait_for_wsl: 2s
    ports: [80]
'@
    $script:LxssKey = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Lxss'

    function Invoke-Update {
        <# The generated Update-WslPortProxy.ps1, unmodified, in its own process (as the task runs it). #>
        param([string[]] $Arguments = @())
        $script:LastRun = Invoke-SimEntryScript -Path (Join-Path $script:Bundle 'WEB-01/Update-WslPortProxy.ps1') `
            -Arguments $Arguments
        return $script:LastRun.ExitCode
    }
}

Describe 'The address WSL reports' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Given eth0 at <Ip> (<Kind>), exits 11 naming the address and why, and changes nothing' -ForEach @(
        @{ Ip = '127.0.0.2'; Kind = 'loopback'; Why = 'a loopback address (127.0.0.0/8)' }
        @{ Ip = '169.254.169.254'; Kind = 'link-local'; Why = 'a link-local address (169.254.0.0/16)' }
        @{ Ip = '224.0.0.251'; Kind = 'multicast'; Why = 'a multicast address (224.0.0.0/4)' }
        @{ Ip = '0.0.0.0'; Kind = 'unspecified'; Why = 'not a unicast address (0.0.0.0/8)' }
        @{ Ip = '255.255.255.255'; Kind = 'broadcast'; Why = 'not a unicast address (240.0.0.0/4)' }
        @{ Ip = '10.9.8.7'; Kind = 'outside the NAT network'
            Why = 'outside the NAT network WSL set up (NatNetwork 172.28.0.0/16' }
    ) {
        Invoke-Update | Should -Be 0   # forwarding; then eth0 gets another address inside the distribution
        Set-SimPortProxy (@{ '0.0.0.0/80' = '172.28.241.140/80'; '0.0.0.0/3389' = '10.0.0.5/3389' })
        Set-SimWsl @{ 'podman-machine-default' = @{ ip = $Ip } }
        Clear-SimCall
        $before = Get-SimSnapshot

        Invoke-Update | Should -Be 11

        Get-SimSnapshot | Should -Be $before
        Get-SimCall -Program 'netsh' | Should -BeNullOrEmpty
        Get-UpdateLog | Should -Match ([regex]::Escape("[ERROR] Failed (exit code 11): WSL's address $Ip is $Why"))
        Get-UpdateLog | Should -Match 'No rule was changed\.'
    }

    It 'Given eth0 inside the NAT network WSL set up, forwards to it' {
        Set-SimRegistry -Key $script:LxssKey -Name 'NatNetwork' -Value '172.28.240.0/20'
        Invoke-Update | Should -Be 0
        (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
    }

    It 'Given no NatNetwork (bridged mode, older WSL), forwards to a private address and refuses a public one' {
        Set-SimRegistry -Key $script:LxssKey -Name 'NatNetwork' -Value $null
        Invoke-Update | Should -Be 0
        (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'

        Set-SimWsl @{ 'podman-machine-default' = @{ ip = '203.0.113.9' } }
        Invoke-Update | Should -Be 11
        (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
        Get-UpdateLog | Should -Match ([regex]::Escape("WSL's address 203.0.113.9 is not a private address " +
                '(10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16), and WSL recorded no NAT network'))
    }
}
